"""The OpenSubsonic API at /rest/: existing phone and desktop apps play Streamify."""
