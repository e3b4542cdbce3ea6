# Several checks, one deadline, one line: healthy only if all pass.
# The targets come from the environment, so one base image serves every service.
FROM scratch
COPY healthprobe /healthprobe
COPY app /app
ENV HEALTHPROBE_URL="http://localhost:8080/health tcp://localhost:5432" \
    HEALTHPROBE_TIMEOUT=3s
HEALTHCHECK --interval=10s --timeout=5s CMD ["/healthprobe"]
USER 65534:65534
ENTRYPOINT ["/app"]
