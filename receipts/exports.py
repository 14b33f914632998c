"""Result exports."""
