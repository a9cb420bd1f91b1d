#!/bin/sh
# Installs the Debian packages given as arguments, non-interactively.
# Postfix is preseeded to "No configuration" so no system instance is set
# up; daemons are kept from starting during the install.
set -eu
export DEBIAN_FRONTEND=noninteractive
debconf-set-selections <<PRESEED
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string mailproc.test
PRESEED
made_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	made_policy=1
fi
trap '[ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y --no-install-recommends "$@" ||
	{ apt-get update && apt-get install -y --no-install-recommends "$@"; }
