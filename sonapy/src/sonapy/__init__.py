"""sonapy: run a local ``sona serve`` and transcribe with it, using only the standard library.

    from sonapy import Sona, SonaError

    with Sona(model="base.en") as sona:
        print(sona.transcribe("meeting.wav")["text"])
        for event in sona.transcribe("meeting.wav", stream=True):
            print(event)
"""

from ._binary import find_binary
from ._client import Client
from ._errors import SonaError
from ._live import Live
from ._retry import RetryBusy
from ._sona import Sona

__all__ = ["Client", "Live", "RetryBusy", "Sona", "SonaError", "find_binary"]
__version__ = "0.1.0"
