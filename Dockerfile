# mockpay: a plain multi-stage Go build. The build step is .ci/build, the
# same script CI runs. Test-only keys come from testdata/certs; see its README.
#
#   docker build -t mockpay .
#   docker run --rm -p 8080:8080 mockpay
#
# The two base images are build arguments; unset or empty, they are the
# images named in the FROM lines below, the ones to use. A machine that
# reaches no image registry passes images it made itself with the same roles
# (a Go toolchain with a shell; a static runtime with the unprivileged user
# 65532), as CI does with the stand-ins .ci/base-images makes:
#
#   docker build --build-arg MOCKPAY_BUILD_IMAGE=… --build-arg MOCKPAY_RUNTIME_IMAGE=… -t mockpay .
ARG MOCKPAY_BUILD_IMAGE
ARG MOCKPAY_RUNTIME_IMAGE

FROM ${MOCKPAY_BUILD_IMAGE:-golang:1.26-bookworm} AS build
WORKDIR /src
# Modules first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
# The directory of MOCKPAY_STATE_FILE in docker-compose.yml, made here
# because the runtime image has no shell to make it.
RUN mkdir /state
COPY . .
RUN .ci/build /out

# distroless/static: no shell, no package manager; runs as an unprivileged
# user. Both programs are static (CGO_ENABLED=0).
FROM ${MOCKPAY_RUNTIME_IMAGE:-gcr.io/distroless/static-debian12:nonroot}
COPY --from=build /out/mockpay /out/client /usr/local/bin/
COPY --from=build --chown=65532:65532 /state /state
# The scenario library and the test identities (TLS pair and CA for the
# HTTPS option); both are also mountable from the repository.
COPY scenarios /scenarios
COPY testdata/certs /certs
ENV MOCKPAY_ADDR=0.0.0.0:8080
EXPOSE 8080
# distroless's nonroot user, whatever the base says.
USER 65532:65532
HEALTHCHECK --interval=5s --timeout=4s --start-period=2s --retries=5 \
  CMD ["/usr/local/bin/mockpay", "health"]
ENTRYPOINT ["/usr/local/bin/mockpay"]
