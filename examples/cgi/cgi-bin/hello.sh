#!/bin/sh
# Sample CGI script for the cgi_server example (examples/examples/cgi_server.rs):
# a header block, a blank line, then some of the CGI/1.1 environment and the
# request body, if any.
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n'
printf 'Hello from %s\n' "$SCRIPT_NAME"
printf 'REQUEST_METHOD=%s\n' "$REQUEST_METHOD"
printf 'QUERY_STRING=%s\n' "$QUERY_STRING"
printf 'PATH_INFO=%s\n' "$PATH_INFO"
if [ -n "$CONTENT_LENGTH" ]; then
    printf 'body='
    head -c "$CONTENT_LENGTH"
    printf '\n'
fi
