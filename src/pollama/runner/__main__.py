"""``python -m pollama.runner``: the runner child process (see ``pollama.runner.child``)."""

import sys

from pollama.runner.child import main

sys.exit(main())
