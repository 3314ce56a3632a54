"""Stand-ins for the image encoders that are not built yet (issue 14)."""


class TimmEncoder:
    """Image embeddings from a pretrained timm model (MobileNetV3, ResNet,
    EfficientNet, ViT), to run natively: **not built yet** (issue 14).

    The class exists so that code importing it, such as the original
    embetter's own test module, still imports; constructing one raises
    NotImplementedError that says what embetter.vision offers today. Once
    built, it is meant to sit after an ImageLoader, as in the original:

    ```python
    from sklearn.pipeline import make_pipeline
    from embetter.vision import ImageLoader, TimmEncoder

    paths = ["images/cat.jpeg", "images/dog.png"]
    X = make_pipeline(ImageLoader(), TimmEncoder("mobilenetv3_large_100")).fit_transform(paths)
    ```
    """

    def __init__(self, name="mobilenetv3_large_100", encode_predictions=False):
        raise NotImplementedError(
            f"TimmEncoder(name={name!r}) is not built yet in this embetter (issue 14): "
            "embetter.vision has ImageLoader and ColorHistogramEncoder so far (docs/vision.md)."
        )
