/* offtap-reader: the board runtime on a desktop (boards/runtime/README.md). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../../core/boot.h"
#include "../../core/clock.h"
#include "../../core/console.h"
#include "../../core/flash.h"
#include "../../core/image.h"
#include "../../core/status.h"
#include "../../core/tap.h"
#include "../../core/vm.h"
#include "../../hal.h"
#include "board.h"
#include "hal_posix.h"
#include "serial.h"

#define MAIN_POLL_MS 20u          /* one NFC poll per loop turn when no card */
#define MAIN_CONSOLE_CHUNK 1024u  /* console bytes taken per loop turn */
#define MAIN_IMAGE_BYTES_MAX OT_BOARD_WASM_BYTES

static const char main_usage[] =
    "usage: offtap-reader --flash FILE [--image IMG] [--nfc PORT|none] [--console PORT|pty]\n"
    "                     [--seed-file FILE] [--clock system|console|UNIX] [--clock-max-age S]\n"
    "                     [--baud N] [--fsync] [--quiet] [--taps N]\n"
    "The offtap board runtime for board " OT_BOARD_ID " on a desktop: boots the signed image\n"
    "in FILE's wasm partition (--image writes IMG there first, after checking it), drives a\n"
    "PN532 on PORT (HSU) and answers the maintenance console (boards/CONSOLE.md) on PORT or\n"
    "on a new pseudo-terminal whose path it prints. Outputs are lines on stdout.\n"
    "  --seed-file FILE   the secure store: 64 hex digits, mode 0600\n"
    "  --clock system     set the clock from the system clock at boot; UNIX: to that time\n"
    "                     (tests, demos); console (default): it waits for clock-set\n"
    "  --clock-max-age S  decline taps when the clock was not set for S seconds (86400)\n"
    "  --taps N           exit after N taps (tests)\n"
    "Exit: 0 done, 1 the image or the board was refused, 2 usage, 3 watchdog reset.\n";

typedef struct main_opts {
    posix_board board;
    const char *image;
    const char *nfc;
    const char *console;
    bool clock_system;
    uint32_t clock_unix_s; /* --clock UNIX, 0 when not given */
    uint32_t clock_max_age_s;
    uint32_t baud;
    long taps;
} main_opts;

static volatile sig_atomic_t main_stop;

static void main_on_signal(int sig)
{
    (void)sig;
    main_stop = 1;
}

static int main_usage_error(const char *what)
{
    fprintf(stderr, "offtap-reader: %s (see --help)\n", what);
    return 2;
}

static int main_parse(int argc, char **argv, main_opts *o)
{
    memset(o, 0, sizeof *o);
    o->board.nfc_fd = -1;
    o->board.console_fd = -1;
    o->clock_max_age_s = TAP_CLOCK_AGE_S_DEFAULT;
    o->baud = 115200;
    o->taps = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : 0;
        bool takes = true;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(main_usage, stdout);
            return 1;
        } else if (strcmp(a, "--fsync") == 0) {
            o->board.flash_sync = true;
            takes = false;
        } else if (strcmp(a, "--quiet") == 0) {
            o->board.quiet_outputs = true;
            takes = false;
        } else if (v == 0) {
            return main_usage_error("an option lacks its value");
        } else if (strcmp(a, "--flash") == 0) {
            o->board.flash_path = v;
        } else if (strcmp(a, "--image") == 0) {
            o->image = v;
        } else if (strcmp(a, "--nfc") == 0) {
            o->nfc = v;
        } else if (strcmp(a, "--console") == 0) {
            o->console = v;
        } else if (strcmp(a, "--seed-file") == 0) {
            o->board.seed_path = v;
        } else if (strcmp(a, "--clock") == 0 && (strcmp(v, "system") == 0 ||
                                                   strcmp(v, "console") == 0)) {
            o->clock_system = strcmp(v, "system") == 0;
        } else if (strcmp(a, "--clock") == 0 && v[0] >= '1' && v[0] <= '9') {
            o->clock_unix_s = (uint32_t)strtoul(v, 0, 10);
        } else if (strcmp(a, "--clock-max-age") == 0) {
            o->clock_max_age_s = (uint32_t)strtoul(v, 0, 10);
        } else if (strcmp(a, "--baud") == 0) {
            o->baud = (uint32_t)strtoul(v, 0, 10);
        } else if (strcmp(a, "--taps") == 0) {
            o->taps = strtol(v, 0, 10);
        } else {
            return main_usage_error("unknown option or bad value");
        }
        i += takes ? 1 : 0;
    }
    if (o->board.flash_path == 0) {
        return main_usage_error("--flash FILE is required");
    }
    return 0;
}

static const img_board main_board = {
    OT_BOARD_ID, OT_BOARD_ABI_VERSION, OT_BOARD_MODE, OT_BOARD_WASM_BYTES,
    OT_BOARD_LEDGER_BYTES, OT_BOARD_DENYLIST_BYTES, OT_BOARD_SECTOR_BYTES, OT_BOARD_PAGE_BYTES,
};
static const uint8_t main_release_pk[32] = OT_BOARD_RELEASE_PUBLIC_KEY;

/* Checks IMG in RAM first and writes it only when it passes: a reader keeps its
 * previous image when a new one fails any check (docs/IMAGE.md). */
static int main_install_image(const char *path)
{
    static uint8_t img[MAIN_IMAGE_BYTES_MAX];
    FILE *f = fopen(path, "rb");
    if (f == 0) {
        fprintf(stderr, "offtap-reader: cannot read %s: %s\n", path, strerror(errno));
        return 2;
    }
    size_t n = fread(img, 1, sizeof img, f);
    bool more = fgetc(f) != EOF;
    fclose(f);
    img_view v;
    int rc = more ? IMG_ERR_PARTITION
                  : img_check(img, (uint32_t)n, &main_board, main_release_pk, &v);
    if (rc != 0) {
        fprintf(stderr, "offtap-reader: image %s refused: %s (build it for %s with the "
                "release key this reader trusts)\n", path, img_status_name(rc), OT_BOARD_ID);
        return 1;
    }
    for (uint32_t off = 0; off < n; off += OT_BOARD_SECTOR_BYTES) {
        rc = fl_erase(HAL_PART_WASM, off);
        for (uint32_t p = off; rc == OT_OK && p < off + OT_BOARD_SECTOR_BYTES && p < n;
             p += OT_BOARD_PAGE_BYTES) {
            uint32_t len = n - p < OT_BOARD_PAGE_BYTES ? (uint32_t)(n - p) : OT_BOARD_PAGE_BYTES;
            rc = fl_program(HAL_PART_WASM, p, img + p, len);
        }
        if (rc != OT_OK) {
            fprintf(stderr, "offtap-reader: writing the image failed: %s\n", ot_status_name(rc));
            return 1;
        }
    }
    return 0;
}

static int main_open_ports(main_opts *o)
{
    char made[SER_PATH_BYTES_MAX];
    if (o->nfc != 0 && strcmp(o->nfc, "none") != 0) {
        o->board.nfc_fd = ser_open(o->nfc, o->baud, made, sizeof made);
        if (o->board.nfc_fd < 0) {
            fprintf(stderr, "offtap-reader: cannot open NFC port %s: %s\n", o->nfc,
                    strerror(errno));
            return 1;
        }
    }
    if (o->console != 0) {
        o->board.console_fd = ser_open(o->console, o->baud, made, sizeof made);
        if (o->board.console_fd < 0) {
            fprintf(stderr, "offtap-reader: cannot open console %s: %s\n", o->console,
                    strerror(errno));
            return 1;
        }
        printf("console %s\n", made);
        fflush(stdout);
    }
    return 0;
}

static void main_print_figures(const boot_info *info)
{
    vm_usage u;
    vm_get_usage(&u);
    const tap_stats *t = tap_get_stats();
    printf("figures taps=%u accepted=%u declined=%u faults=%u boot-ms=%u vm-heap-bytes=%u "
           "heap-budget=%u vm-stack-used=%u stack-budget=%u memory-bytes=%u\n",
           (unsigned)t->taps, (unsigned)t->accepted, (unsigned)t->declined, (unsigned)t->faults,
           (unsigned)info->boot_ms, (unsigned)u.heap_bytes, (unsigned)OT_BOARD_HEAP_BYTES,
           (unsigned)u.stack_bytes_used, (unsigned)OT_BOARD_WASM3_STACK_BYTES,
           (unsigned)u.memory_bytes);
    fflush(stdout);
}

static void main_loop(const main_opts *o)
{
    uint8_t chunk[MAIN_CONSOLE_CHUNK];
    long taps = 0;
    while (!main_stop && (o->taps < 0 || taps < o->taps)) {
        int n = hal_console_read(chunk, sizeof chunk, 0);
        if (n > 0) {
            cons_feed(chunk, (uint32_t)n);
        }
        int32_t decision = -1;
        int rc = tap_run_once(MAIN_POLL_MS, &decision);
        if (rc == 1) {
            const tap_stats *t = tap_get_stats();
            printf("tap decision=%d elapsed-ms=%u\n", (int)decision,
                   (unsigned)t->last_elapsed_ms);
            fflush(stdout);
            taps += decision != TAP_DECISION_NO_WALLET;
        } else if (rc < 0) {
            fprintf(stderr, "offtap-reader: NFC front end: %s\n", ot_status_name(rc));
            usleep(MAIN_POLL_MS * 1000u);
        }
    }
}

int main(int argc, char **argv)
{
    main_opts o;
    int rc = main_parse(argc, argv, &o);
    if (rc != 0) {
        return rc == 1 ? 0 : rc;
    }
    if (sodium_init() < 0 || posix_board_open(&o.board) != 0) {
        return 1;
    }
    signal(SIGTERM, main_on_signal);
    signal(SIGINT, main_on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (o.image != 0 && (rc = main_install_image(o.image)) != 0) {
        return rc;
    }
    if (main_open_ports(&o) != 0) {
        return 1;
    }
    *posix_board_get() = o.board;
    boot_info info;
    rc = boot_run(&main_board, main_release_pk, OT_BOARD_WASM3_STACK_BYTES, &info);
    if (rc != OT_OK) {
        fprintf(stderr, "offtap-reader: boot refused: %s%s%s\n",
                rc <= IMG_ERR_LENGTH ? img_status_name(rc) : ot_status_name(rc),
                vm_last_error()[0] != '\0' ? " " : "", vm_last_error());
        return 1;
    }
    char sha[65];
    for (int i = 0; i < 32; i++) {
        snprintf(sha + 2 * i, 3, "%02x", info.firmware_sha256[i]);
    }
    printf("boot board=%s firmware=%s init=%d boot-ms=%u\n", OT_BOARD_ID, sha,
           info.init_status, (unsigned)info.boot_ms);
    fflush(stdout);
    rc = posix_nfc_begin();
    if (rc != OT_OK) {
        fprintf(stderr, "offtap-reader: PN532 did not answer on %s: %s (check the port and "
                "that it is a PN532 in HSU mode)\n", o.nfc, ot_status_name(rc));
        return 1;
    }
    tap_configure(OT_BOARD_MODE, o.clock_max_age_s);
    if (o.clock_system) {
        clk_set((uint32_t)time(0), hal_clock_millis());
    } else if (o.clock_unix_s != 0) {
        clk_set(o.clock_unix_s, hal_clock_millis());
    }
    cons_identity id = {OT_BOARD_ID, OT_BOARD_ABI_VERSION, info.firmware_sha256};
    cons_init(&id);
    cons_announce("ready offtap-console 2");
    main_loop(&o);
    main_print_figures(&info);
    return 0;
}
