"""The reviewer console: server-rendered pages, small plain JavaScript, no build step."""
