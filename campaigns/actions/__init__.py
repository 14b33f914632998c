"""The actions layer: everything staff (or the system on their behalf) may do, one module per
domain, in Zulip's shape. Each `do_*` takes the acting `audit.actors.Actor`, checks what it
must, runs in one transaction with the change's audit event (`audit.record`), and explains a
refusal in words for staff (`TransitionError`). Views, admin, commands and the API call these;
the state changes themselves are `campaigns.transitions` functions, which refuse quietly.

- `campaigns.actions.campaigns`: start, pause, resume, cancel, the start check
- `campaigns.actions.calls`: an operator's decision on calls of unknown outcome
- `campaigns.actions.accounts`: Aliyun accounts (key pairs, endpoints, budgets)
- `campaigns.actions.lists`: contact imports
Follow-ups: `campaigns.followups.create_followup(..., actor=...)`; the system's own changes
(completion, pauses after refusals, caller numbers after refusals) are recorded by
`campaigns.transitions` and `campaigns.dialling.refusals` with a system actor.
"""
