"""`phys tui`: the Textual interface. `app` routes between screens; `screens/` holds one module per page,
`widgets/` one per region; `data` reads what they show, from worker threads. Never imports torch."""
