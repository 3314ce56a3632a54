"""Stand-in for the CLIP encoder, which is not built yet (issue 14)."""


class ClipEncoder:
    """Text and image embeddings in one space from a pretrained CLIP model
    (sentence-transformers' `clip-ViT-B-32` and its kin), to run natively:
    **not built yet** (issue 14).

    The class exists so that code importing it, such as the original
    embetter's README, still imports; constructing one raises
    NotImplementedError that says what embetter offers today. Once built, it
    is meant to sit after an ImageLoader, as in the original:

    ```python
    from sklearn.pipeline import make_pipeline
    from embetter.vision import ImageLoader
    from embetter.multi import ClipEncoder

    paths = ["images/cat.jpeg", "images/dog.png"]
    X = make_pipeline(ImageLoader(convert="RGB"), ClipEncoder()).fit_transform(paths)
    ```
    """

    def __init__(self, name="clip-ViT-B-32", device=None, quantize=False, num_threads=None):
        raise NotImplementedError(
            f"ClipEncoder(name={name!r}) is not built yet in this embetter (issue 14): "
            "for images, embetter.vision has ImageLoader and ColorHistogramEncoder so far (docs/vision.md); "
            "for text, embetter.text.SentenceEncoder."
        )
