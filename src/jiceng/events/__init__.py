"""Grid events (网格事件): intake, the seven-step workflow, dispatch, 吹哨报到, deadlines and the
command centre's numbers. See docs/events.md."""
