"""The one error a media file can cause, worded for the person who sent it."""


class MediaError(ValueError):
    """A file that cannot be checked: corrupt, empty, too large or long, not an image or video.

    `reason` is a short key for statistics and tests; the message is shown to the sender.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
