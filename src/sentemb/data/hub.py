"""Files from the Hugging Face Hub (e.g. SimCSE's wiki1m): downloaded once into the Hub cache."""

from __future__ import annotations

from sentemb.errors import MissingFileError


def hub_file(repo_id: str, filename: str, repo_type: str = "dataset", revision: str | None = None) -> str:
    """Local path of `filename` in Hub repository `repo_id`, downloading it if needed (needs a network)."""
    from huggingface_hub import hf_hub_download

    try:
        return hf_hub_download(repo_id=repo_id, filename=filename, repo_type=repo_type, revision=revision)
    except Exception as err:  # the Hub client raises several unrelated types for "offline"
        raise MissingFileError(
            f"could not get '{filename}' from the Hugging Face Hub {repo_type} '{repo_id}': {err}. "
            "Without network access use a local file: data=text_file data.path=/path/to/file.txt"
        ) from err
