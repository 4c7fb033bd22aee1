# A bad release of the api, for the swarm spec's rollback: the image the test
# just built, with a default that the api's config validation refuses at boot
# (a pool of 0 connections), so every replica of it exits before it is
# healthy, as a release with a broken setting would.
ARG API_IMAGE
FROM ${API_IMAGE}
ENV STORE_POOL_SIZE=0
