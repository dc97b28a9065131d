#!/bin/sh
# A stand-in for the user's browser in headless tests, used as $BROWSER: it
# opens the authorization URL and follows the redirects (the test
# authorization server approves at once) to mcpauth's loopback callback.
exec curl --silent --show-error --location --max-redirs 5 --output /dev/null "$1"
