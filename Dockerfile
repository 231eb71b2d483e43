# MineGNK portal: one process per container (NiceGUI keeps page state in memory; scale with sticky routing).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MINEGNK_ENV=production \
    MINEGNK_HOST=0.0.0.0 \
    MINEGNK_PORT=8080 \
    MINEGNK_DATA_DIR=/app/data

WORKDIR /app
RUN useradd --create-home --uid 10001 minegnk

COPY pyproject.toml README.md ./
COPY minegnk ./minegnk
RUN pip install --no-cache-dir .
COPY main.py alembic.ini ./

RUN mkdir -p /app/data && chown minegnk:minegnk /app/data
USER minegnk

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"

# Migrates the database to the newest schema, creates the first admin from MINEGNK_ADMIN_* if set, then serves.
CMD ["python", "main.py", "serve"]
