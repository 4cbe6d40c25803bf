"""What a link or a photo in the question led to, said before the answer ("The page you linked says
…", "This video has been manipulated or generated …"), in the asker's language."""

from __future__ import annotations

from bot.domain import Authenticity, LinkNote, MediaNote
from bot.i18n import DEFAULT, N_, translator

# --- links in questions (issue 14): what the link led to, said before the answer ---
LINK_LEADS = {
    "review": N_("You linked this fact-check:"),
    "sameAs": N_("You linked this fact-check:"),
    "appearance": N_("The page you linked is one where this claim appeared. It has been fact-checked:"),
    "firstAppearance": N_(
        "The page you linked is where this claim first appeared. It has been fact-checked:"
    ),
    "page": N_("The page you linked says “{text}”. A fact-check about that:"),
}
LINK_SUGGEST_LEAD = N_("The page you linked says “{text}”.")
LINK_NOT_FOUND = {
    "unmatched": N_("I read the page you linked, but I have no fact-check about what it says."),
    "unreadable": N_(
        "I couldn't read the page you linked ({error}), and I have no fact-check for that address."
    ),
    "not_web": N_("I can only open web links (http:// or https://)."),
}
LINK_HINT = N_("Send me the claim itself in a sentence, for example: did a NYC cop arrest an ICE agent?")


def link_lead(link: LinkNote | None, *, suggest: bool = False, language: str = DEFAULT) -> str:
    if link is None:
        return ""
    t = translator(language)
    if suggest:
        return t(LINK_SUGGEST_LEAD, text=link.page_text) if link.page_text else ""
    lead = LINK_LEADS.get(link.via, "")
    return t(lead, text=link.page_text) if lead else ""


# --- photos and videos (issue 16): what the media is, said before the claim's verdict ---
# Whole sentences per kind of media: "foto" and "vídeo" differ in gender, and so does the sentence.
MEDIA_LEADS = {
    ("image", Authenticity.TRANSFORMED): N_(
        "This photo has been manipulated or generated (for example by AI)"
    ),
    ("video", Authenticity.TRANSFORMED): N_(
        "This video has been manipulated or generated (for example by AI)"
    ),
    ("image", Authenticity.EDITED_OR_CROPPED): N_("This photo has been edited or cropped to mislead"),
    ("video", Authenticity.EDITED_OR_CROPPED): N_("This video has been edited to mislead"),
    ("image", Authenticity.DECONTEXTUALIZED): N_("This photo is real but shared out of context"),
    ("video", Authenticity.DECONTEXTUALIZED): N_("This video is real but shared out of context"),
    ("image", Authenticity.STAGED): N_("This photo was staged"),
    ("video", Authenticity.STAGED): N_("This video was staged"),
    ("image", Authenticity.SATIRE_OR_PARODY): N_("This photo is satire or parody"),
    ("video", Authenticity.SATIRE_OR_PARODY): N_("This video is satire or parody"),
    ("image", Authenticity.ORIGINAL): N_("This photo is authentic and unaltered"),
    ("video", Authenticity.ORIGINAL): N_("This video is authentic and unaltered"),
    ("image", None): N_("I know this photo: it has been fact-checked"),
    ("video", None): N_("I know this video: it has been fact-checked"),
}
MEDIA_TEXT_LEADS = {
    "image": N_("I don't know this photo, but its words match a fact-check:"),
    "video": N_("I don't know this video, but its words match a fact-check:"),
}
MEDIA_QUEUED = {
    "image": N_("I don't know this photo yet, so I've sent it to our reviewers."),
    "video": N_("I don't know this video yet, so I've sent it to our reviewers."),
}
MEDIA_UNREADABLE = N_("I couldn't check that file.")
# Why a file could not be checked, by bot.media.MediaError's reason, and by the adapters' own bounds
# (too_big, too_long, download: refused or failed before the file reached the core).
MEDIA_PROBLEMS = {
    "empty": N_("That file is empty."),
    "unsupported": N_("I can check photos (JPEG, PNG, GIF, WebP, BMP) and videos (MP4, MOV, WebM, AVI)."),
    "unavailable": N_("This ClaimBot can't check photos or videos: its media support is not installed."),
    "too_large": N_("That file is too large for me to check."),
    "corrupt": N_("I couldn't read that file: it looks damaged."),
    "too_small": N_("That picture is too small to compare with known photos."),
    "featureless": N_("That picture is too plain to compare with known photos and videos."),
    "no_video": N_("That file has no picture to check (is it audio only?)."),
    "too_big": N_("That file is too large for me to check: the limit is {limit} MB."),
    "too_long": N_("That video is too long for me to check: the limit is {minutes} minutes."),
    "download": N_("I couldn't download that file. Please try again in a moment."),
}
CAPTION_INSTEAD = N_("I checked the words sent with it instead.")


def media_problem(reason: str, language: str = DEFAULT, **values: object) -> str:
    """Why a photo or video could not be checked, in the sender's language."""
    return translator(language)(MEDIA_PROBLEMS.get(reason, MEDIA_UNREADABLE), **values)


def caption_instead(reason: str, language: str = DEFAULT, **values: object) -> str:
    """ "I couldn't read that file: it looks damaged. I checked the words sent with it instead." """
    return f"{media_problem(reason, language, **values)} {translator(language)(CAPTION_INSTEAD)}"


def media_lead(media: MediaNote | None, language: str = DEFAULT) -> str:
    """ "This video is AI-generated: it does not show a real arrest." before the verdict."""
    if media is not None and media.via == "unreadable":  # the file failed; its caption was matched
        return caption_instead(media.reason, language)
    if media is None or media.kind not in MEDIA_QUEUED:
        return ""
    t = translator(language)
    if media.via != "fingerprint":
        return t(MEDIA_TEXT_LEADS[media.kind])
    lead = t(MEDIA_LEADS[(media.kind, media.authenticity)])
    return f"{lead}: {media.description.rstrip('.')}." if media.description else f"{lead}."


def media_queued(media: MediaNote | None, language: str = DEFAULT) -> str:
    if media is None or media.kind not in MEDIA_QUEUED:
        return ""
    return translator(language)(MEDIA_QUEUED[media.kind])
