#!/bin/bash
# Start a real loopback mail server for the `mailserver` tests: Debian's Dovecot (IMAP with IDLE,
# and LMTP for delivery) behind OpenSMTPD (SMTP). No systemd, no TLS, loopback only.
#
#   apt-get install -y dovecot-imapd dovecot-lmtpd opensmtpd     (once, as root)
#   scripts/start-mailserver.sh [DIR]       start (default DIR: /tmp/supportdrill-mail)
#   scripts/start-mailserver.sh --stop [DIR]
#
# Mailboxes (password "drillpass"): drill@drill.test (the customer) and vendor@drill.test (the
# vendor's desk). SMTP on 127.0.0.1:${SD_SMTP_PORT:-2525}, IMAP on 127.0.0.1:${SD_IMAP_PORT:-1143}.
# The tests read SUPPORTDRILL_SMTP / SUPPORTDRILL_IMAP (host:port) and skip when nothing answers.
set -eu

if [ "${1:-}" = "--stop" ]; then
    DIR="${2:-/tmp/supportdrill-mail}"
    for pidfile in "$DIR/smtpd.pid" "$DIR/run/master.pid"; do
        [ -f "$pidfile" ] || continue
        pid="$(cat "$pidfile")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        rm -f "$pidfile"
    done
    exit 0
fi

DIR="${1:-/tmp/supportdrill-mail}"
SMTP_PORT="${SD_SMTP_PORT:-2525}"
IMAP_PORT="${SD_IMAP_PORT:-1143}"
PASSWORD="drillpass"

if [ "$(id -u)" != 0 ]; then
    echo "start-mailserver.sh: must run as root (dovecot and smtpd drop privileges)" >&2
    exit 2
fi
for bin in dovecot smtpd; do
    command -v "$bin" >/dev/null || {
        echo "start-mailserver.sh: $bin not installed (apt-get install -y dovecot-imapd dovecot-lmtpd opensmtpd)" >&2
        exit 2
    }
done

mkdir -p "$DIR/run" "$DIR/mail"
chown mail:mail "$DIR/mail"
chmod 755 "$DIR" "$DIR/run"

HASH="$(doveadm pw -s SHA512-CRYPT -p "$PASSWORD")"
: > "$DIR/users"
for user in drill@drill.test vendor@drill.test; do
    echo "$user:$HASH::::::" >> "$DIR/users"
done
chmod 644 "$DIR/users"

cat > "$DIR/dovecot.conf" <<CONF
base_dir = $DIR/run
instance_name = supportdrill-mail
protocols = imap lmtp
listen = 127.0.0.1
log_path = $DIR/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$DIR/mail/%u
mail_uid = mail
mail_gid = mail
first_valid_uid = 1
default_login_user = dovenull
default_internal_user = dovecot
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT $DIR/users
}
userdb {
  driver = static
  args = uid=mail gid=mail home=$DIR/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
protocol lmtp {
  postmaster_address = postmaster@drill.test
}
CONF

# Virtual users: each address expands to the system user "mail"; rcpt-to keeps the original
# address for LMTP, which is what Dovecot files the message under.
printf 'drill@drill.test mail\nvendor@drill.test mail\n' > "$DIR/vusers"
cat > "$DIR/smtpd.conf" <<CONF
table vusers file:$DIR/vusers
listen on 127.0.0.1 port $SMTP_PORT
action "deliver" lmtp "$DIR/run/lmtp" rcpt-to virtual <vusers>
match from any for domain "drill.test" action "deliver"
CONF
chmod 600 "$DIR/smtpd.conf"

"$0" --stop "$DIR"
dovecot -c "$DIR/dovecot.conf"
# -d keeps smtpd in the foreground so its pid is ours to stop; setsid detaches it from us.
setsid smtpd -d -f "$DIR/smtpd.conf" >> "$DIR/smtpd.log" 2>&1 < /dev/null &
echo $! > "$DIR/smtpd.pid"

# Wait until both ports answer.
for _ in $(seq 1 50); do
    if (exec 3<>/dev/tcp/127.0.0.1/$IMAP_PORT) 2>/dev/null && \
       (exec 3<>/dev/tcp/127.0.0.1/$SMTP_PORT) 2>/dev/null; then
        echo "mail server up: SMTP 127.0.0.1:$SMTP_PORT IMAP 127.0.0.1:$IMAP_PORT (dir $DIR)"
        exit 0
    fi
    sleep 0.2
done
echo "start-mailserver.sh: mail server did not come up; see $DIR/dovecot.log $DIR/smtpd.log" >&2
exit 1
