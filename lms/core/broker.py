"""The embedded filesystem broker, with messages that appear in the queue only once complete.

kombu's filesystem transport creates a message file and then writes into it; a worker polling
the folder can take the file in between, read nothing and stop with a JSON error (kombu issue
1551), and the late write goes to a file already taken. ``make run`` hit this within a minute,
as beat's relay publishes every 15 seconds. Here each message is written under a name the
reader ignores and renamed into place, which is atomic within one folder.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

PARTIAL_SUFFIX = ".part"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL_SUFFIX  # "….msg.part" is not a name the reader takes
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


def use_atomic_filesystem_broker() -> None:
    """Make ``filesystem://`` broker URLs use this transport, in the web app and the worker."""
    TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"
