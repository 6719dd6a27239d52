"""The API action handlers: api.Api dispatches to the ECS image actions
(images), the ECS hygiene actions (resources) and the OOS executions
(oos); STS has its own module (ecsemu.sts)."""
