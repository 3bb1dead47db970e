/* C unit tests of the board runtime, against test/fake_hal.c and test/fake_vm.c.
 * Usage: runtime-tests <test/vectors/image directory> */
#include <sodium.h>
#include <stdio.h>

#include "test.h"

int test_failures;
int test_checks;
const char *test_vectors_dir;

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: runtime-tests VECTORS_DIR (test/vectors/image)\n");
        return 2;
    }
    test_vectors_dir = argv[1];
    if (sodium_init() < 0) {
        fprintf(stderr, "runtime-tests: libsodium failed to initialise\n");
        return 1;
    }
    test_core();
    test_image();
    test_pn532();
    test_console();
    test_testmode();
    printf("runtime-tests: %d checks, %d failed\n", test_checks, test_failures);
    return test_failures == 0 ? 0 : 1;
}
