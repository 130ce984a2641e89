"""pytest plugin (entry point ``pytest11``); fixtures arrive with the harness issue."""
