vcl 4.1;

# Varnish in front of Embargo. Embargo marks what may be shared (Cache-Control: public, max-age)
# and tags it (Surrogate-Key: "embargo", "article:<slug>", "listings"); everything else is
# private, no-store and never kept here. On every change of what is public, Embargo's task worker
# sends one BAN per key (EMBARGO_HTTP_CACHE_PURGE_URL=http://<this varnish>) and retries until it
# is answered. Run: varnishd -a :6081 -f /etc/varnish/embargo.vcl -s malloc,256m

import std;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
}

# Only the application servers (where the task worker runs) may purge.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(405, "Not allowed"));
        }
        if (!req.http.X-Embargo-Ban-Key) {
            return (synth(400, "X-Embargo-Ban-Key missing"));
        }
        # The key arrives regex-escaped; obj.http.* bans are handled by the ban lurker.
        ban("obj.http.Surrogate-Key ~ (^|\s)" + req.http.X-Embargo-Ban-Key + "(\s|$)");
        return (synth(200, "Banned"));
    }
    if (req.method == "PURGE") {
        # One URL, for an operator: curl -X PURGE http://varnish/articles/<slug>/ -H 'Host: …'
        if (client.ip !~ purgers) {
            return (synth(405, "Not allowed"));
        }
        return (purge);
    }
    # Everything else follows Varnish's built-in rules: no caching with a Cookie or Authorization.
}

sub vcl_backend_response {
    # Never keep what Embargo did not mark public (the built-in rules already refuse no-store,
    # private and Set-Cookie; this also refuses an untagged response).
    if (!beresp.http.Surrogate-Key || beresp.http.Cache-Control !~ "public") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
}

sub vcl_deliver {
    # The tags are for this cache only.
    unset resp.http.Surrogate-Key;
}
