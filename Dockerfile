# The API + web page image used by docker-compose (production: Neo4j backend).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY patentkg ./patentkg
COPY graph ./graph
COPY loaders ./loaders
COPY queries ./queries
COPY api ./api
COPY viz ./viz
RUN pip install --no-cache-dir .
ENV PATENTKG_DATA_DIR=/data
EXPOSE 8000
CMD ["patentkg", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
