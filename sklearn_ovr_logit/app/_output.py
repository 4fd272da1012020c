"""Where the commands write: the output folder, checked before any work."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import os
import tempfile

#: The model file ``train`` and ``search`` write into their output folder.
MODEL_FILE = "model.json"


def prepare_output(folder):
    """Create the output folder and check that files can be written in it.

    Done before loading data and fitting: a run should not fit for minutes,
    then fail to write. Writing a file is the only sure test; permission
    bits say nothing of read-only mounts, and nothing at all to root.
    """
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise NotADirectoryError(f"--output {folder}: exists and is not a folder")
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OSError(
            f"--output {folder}: cannot write files there ({reason}); choose "
            "another folder"
        ) from None
    return folder
