/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The CLI's tabwriter against the layouts of snap's own tests. */
#include "pb-test.h"
#include "tabwriter.h"

#include <stdlib.h>

static char *render(struct pb_tw *tw)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        pb_tw_flush(tw, f);
        fclose(f);
        return buf;
}

int main(void)
{
        struct pb_tw *tw = pb_tw_new(5, 2);
        pb_tw_printf(tw, "Interface\tPlug\tSlot\tNotes\n");
        pb_tw_printf(tw, "leds\tkeyboard-lights:capslock\tleds-provider:capslock-led\tgadget\n");
        pb_tw_printf(tw, "leds\tkeyboard-lights:numlock\t:numlock-led\tmanual\n");
        pb_tw_printf(tw, "leds\tkeyboard-lights:scrollock\t:scrollock-led\t-\n");
        char *s = render(tw);
        PB_CHECK_STR(s, "Interface  Plug                       Slot                        Notes\n"
                        "leds       keyboard-lights:capslock   leds-provider:capslock-led  gadget\n"
                        "leds       keyboard-lights:numlock    :numlock-led                manual\n"
                        "leds       keyboard-lights:scrollock  :scrollock-led              -\n");
        free(s);

        /* snap interface --attrs: lines without tabs end a column block */
        tw = pb_tw_new(2, 1);
        pb_tw_printf(tw, "name:\tserial-port\n");
        pb_tw_printf(tw, "summary:\tallows providing or using a specific serial port\n");
        pb_tw_printf(tw, "plugs:\n");
        pb_tw_printf(tw, "  - minicom\n");
        pb_tw_printf(tw, "slots:\n");
        pb_tw_printf(tw, "  - gizmo-gadget:debug-serial-port (serial port for debugging)");
        pb_tw_printf(tw, ":\n");
        pb_tw_printf(tw, "      header:\tpin-array\n");
        pb_tw_printf(tw, "      location:\tinternal\n");
        pb_tw_printf(tw, "      number:\t1\n");
        pb_tw_printf(tw, "      path:\t/dev/ttyS0\n");
        s = render(tw);
        PB_CHECK_STR(s, "name:    serial-port\n"
                        "summary: allows providing or using a specific serial port\n"
                        "plugs:\n"
                        "  - minicom\n"
                        "slots:\n"
                        "  - gizmo-gadget:debug-serial-port (serial port for debugging):\n"
                        "      header:   pin-array\n"
                        "      location: internal\n"
                        "      number:   1\n"
                        "      path:     /dev/ttyS0\n");
        free(s);

        /* minwidth applies; widths count runes, not bytes */
        tw = pb_tw_new(5, 2);
        pb_tw_printf(tw, "a\tb\n\xc3\xa9t\xc3\xa9\tc\n");
        s = render(tw);
        PB_CHECK_STR(s, "a    b\n\xc3\xa9t\xc3\xa9  c\n");
        free(s);
        /* Borrowed rows (pb_tw_row_ref) lay out like formatted ones. */
        tw = pb_tw_new(5, 2);
        pb_tw_printf(tw, "Interface\tPlug\tSlot\tNotes\n");
        const char *r1[] = {"leds", "keyboard-lights:capslock", "leds-provider:capslock-led",
                            "gadget"};
        const char *r2[] = {"leds", "keyboard-lights:numlock", ":numlock-led", "manual"};
        pb_tw_row_ref(tw, r1, 4);
        pb_tw_row_ref(tw, r2, 4);
        s = render(tw);
        PB_CHECK_STR(s,
                     "Interface  Plug                      Slot                        Notes\n"
                     "leds       keyboard-lights:capslock  leds-provider:capslock-led  gadget\n"
                     "leds       keyboard-lights:numlock   :numlock-led                manual\n");
        free(s);
        return pb_test_done();
}
