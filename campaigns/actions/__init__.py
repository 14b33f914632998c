"""The actions layer: everything staff (or the system on their behalf) may do, one module per
domain, in Zulip's shape. Each `do_*` takes the acting `audit.actors.Actor`, checks what it
must, runs in one transaction with the change's audit event (`audit.record`), and explains a
refusal in words for staff (`TransitionError`). Views, admin, commands and the API call these;
the state changes themselves are `campaigns.transitions` functions, which refuse quietly.

- `campaigns.actions.campaigns`: start, pause, resume, cancel, the start check
- `campaigns.actions.calls`: an operator's decision on calls of unknown outcome
"""
