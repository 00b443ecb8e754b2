# mockpay: a plain multi-stage Go build. The build step is .ci/build, the
# same script CI runs. Test-only keys come from testdata/certs; see its README.
#
#   docker build -t mockpay .
#   docker run --rm -p 8080:8080 mockpay

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN .ci/build /out

# distroless/static: no shell, no package manager; runs as an unprivileged
# user. Both programs are static (CGO_ENABLED=0).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mockpay /out/client /usr/local/bin/
# The scenario library and the test identities (TLS pair and CA for the
# HTTPS option); both are also mountable from the repository.
COPY scenarios /scenarios
COPY testdata/certs /certs
ENV MOCKPAY_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=4s --start-period=2s --retries=5 \
  CMD ["/usr/local/bin/mockpay", "health"]
ENTRYPOINT ["/usr/local/bin/mockpay"]
