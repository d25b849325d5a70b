#!/bin/sh
# Make mda's namespace ready: it exists, keeps closed workflows for
# $TEMPORAL_RETENTION, and knows mda's search attributes (the same ones the embedded
# server gets). Safe to run again.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}" "${TEMPORAL_RETENTION:?}"
until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do sleep 2; done
if temporal operator namespace describe -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
  temporal operator namespace update -n "$TEMPORAL_NAMESPACE" --retention "$TEMPORAL_RETENTION"
else
  temporal operator namespace create -n "$TEMPORAL_NAMESPACE" --retention "$TEMPORAL_RETENTION"
fi
for name in MdaKind MdaRepo MdaTemplate; do
  temporal operator search-attribute create -n "$TEMPORAL_NAMESPACE" \
    --name "$name" --type Keyword 2>/dev/null || true
done
echo "namespace $TEMPORAL_NAMESPACE is ready"
