/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pb-x11-authgen: asks the X server for a new authorization with the
 * SECURITY extension, as `xauth generate ... untrusted` does, and
 * prints it; or revokes one.
 *
 *   pb-x11-authgen generate UID GID DISPLAY XAUTHORITY trusted|untrusted
 *       -> "MIT-MAGIC-COOKIE-1 <hex data> <auth id>\n"
 *   pb-x11-authgen revoke UID GID DISPLAY XAUTHORITY ID
 *
 * It is a separate process because it drops to the caller's uid before it
 * opens the caller's XAUTHORITY (the broker must not read arbitrary files
 * for a user), and because Xlib's authorization state is process-global.
 * XAUTHORITY "-" means: use the default (~/.Xauthority of that user).
 */
#include <X11/Xauth.h>
#include <X11/Xlib.h>
#include <X11/extensions/security.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int drop_to(const char *uid_s, const char *gid_s)
{
        uid_t uid = (uid_t)strtoul(uid_s, NULL, 10);
        gid_t gid = (gid_t)strtoul(gid_s, NULL, 10);
        if (uid == (uid_t)-1)
                return 0; /* the caller is the proxy's own user */
        if (getuid() != 0)
                return getuid() == uid ? 0 : -1;
        if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
                return -1;
        return 0;
}

int main(int argc, char **argv)
{
        if (argc != 7) {
                fprintf(stderr, "usage: pb-x11-authgen generate|revoke UID GID DISPLAY XAUTHORITY "
                                "trusted|untrusted|ID\n");
                return 2;
        }
        /* An unresponsive server must not hang the broker. */
        alarm(10);
        if (drop_to(argv[2], argv[3]) < 0) {
                perror("pb-x11-authgen: dropping privileges");
                return 1;
        }
        /* Nothing of the broker's environment leaks in (its XAUTHORITY,
         * HOME): the authority file is the caller's, or the caller's default. */
        char path[4096];
        const char *xauth = argv[5];
        if (!strcmp(xauth, "-")) {
                struct passwd *pw = getpwuid(getuid());
                if (!pw || snprintf(path, sizeof(path), "%s/.Xauthority", pw->pw_dir) >=
                               (int)sizeof(path)) {
                        fprintf(stderr, "pb-x11-authgen: no home directory\n");
                        return 1;
                }
                xauth = path;
        }
        clearenv();
        setenv("XAUTHORITY", xauth, 1);
        Display *dpy = XOpenDisplay(argv[4]);
        if (!dpy) {
                fprintf(stderr, "pb-x11-authgen: cannot open display %s\n", argv[4]);
                return 1;
        }
        int major, minor;
        if (!XSecurityQueryExtension(dpy, &major, &minor)) {
                fprintf(stderr, "pb-x11-authgen: the X server has no SECURITY extension\n");
                return 1;
        }
        if (!strcmp(argv[1], "revoke")) {
                XSecurityRevokeAuthorization(dpy,
                                             (XSecurityAuthorization)strtoul(argv[6], NULL, 10));
                XSync(dpy, False);
                XCloseDisplay(dpy);
                return 0;
        }
        Xauth in = {0};
        in.name = (char *)"MIT-MAGIC-COOKIE-1";
        in.name_length = (unsigned short)strlen(in.name);
        XSecurityAuthorizationAttributes attrs = {0};
        /* The timeout starts when the last client using the authorization
         * disconnects (and at creation). 0 does NOT mean "never": the X
         * server then starts a 0 ms timer on the first disconnect and the
         * cookie dies (security.c SecurityClientState, verified on Xvfb), so
         * a sandbox's second connection would fail. Too large a value
         * crashes the server (2^32-1 s aborted Xvfb 21.1.7: the milliseconds
         * overflow a signed int in its timer code), so 2,000,000 s (23 days,
         * 2e9 ms < 2^31): a sandbox idle on X that long must reconnect after a
         * restart. The broker revokes it on loss of x11 and when the sandbox ends. */
        attrs.timeout = 2000000u;
        attrs.trust_level =
            strcmp(argv[6], "trusted") ? XSecurityClientUntrusted : XSecurityClientTrusted;
        XSecurityAuthorization id = 0;
        Xauth *out = XSecurityGenerateAuthorization(
            dpy, &in, XSecurityTimeout | XSecurityTrustLevel, &attrs, &id);
        if (!out || out->data_length == 0) {
                fprintf(stderr,
                        "pb-x11-authgen: the server refused to generate an authorization\n");
                return 1;
        }
        printf("%s ", in.name);
        for (unsigned i = 0; i < out->data_length; i++)
                printf("%02x", (unsigned char)out->data[i]);
        printf(" %lu\n", (unsigned long)id);
        XSecurityFreeXauth(out);
        XCloseDisplay(dpy);
        return fflush(stdout) == 0 ? 0 : 1;
}
