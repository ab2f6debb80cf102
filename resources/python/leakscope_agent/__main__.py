# python3 -m leakscope_agent run [options] (script.py | -m module) [args...]
# No definitions here: this module's globals belong to the agent, and the
# program being run gets a fresh __main__ of its own.
import sys

from leakscope_agent._runner import main

sys.exit(main())
