# Multi-stage build: a static binary in a distroless image, run as non-root.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/essdir ./cmd/essdir

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/essdir /usr/local/bin/essdir
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/essdir"]
CMD ["serve"]
