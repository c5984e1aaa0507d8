# Builds the fundledger binary into a small image. Used by docker-compose.yml.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/fundledger ./cmd/fundledger

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/fundledger /usr/local/bin/fundledger
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/usr/local/bin/fundledger"]
CMD ["serve"]
