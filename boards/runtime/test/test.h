/* A minimal test runner: CHECK records a failure with its place and goes on, so one run
 * shows every broken expectation. */
#ifndef OT_TEST_H
#define OT_TEST_H

#include <stdint.h>
#include <stdio.h>

extern int test_failures;
extern int test_checks;
extern const char *test_vectors_dir;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        test_checks++;                                                                 \
        if (!(cond)) {                                                                 \
            test_failures++;                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

#define CHECK_EQ(a, b)                                                                 \
    do {                                                                               \
        long long check_a_ = (long long)(a);                                           \
        long long check_b_ = (long long)(b);                                           \
        test_checks++;                                                                 \
        if (check_a_ != check_b_) {                                                    \
            test_failures++;                                                           \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,      \
                    __LINE__, #a, check_a_, #b, check_b_);                             \
        }                                                                              \
    } while (0)

void test_core(void);
void test_image(void);
void test_pn532(void);
void test_console(void);
void test_testmode(void);
/* The test release public key (test/vectors/image/release-key.json). */
const uint8_t *tt_release_pk_get(void);

#endif
