# Host-side builds: unit tests (cmocka, ASan+UBSan) and libFuzzer harnesses.
#
# A unit test "foo" is tests/unit/test_foo.c; tests/unit/foo.mk adds it with
#   UNIT_TESTS += foo
#   UT_SRCS_foo := src/....c              # code under test (compiled with -DAX_HOST)
#   UT_DEPS_foo := $(HOST_BUILD)/x.dtb    # optional generated fixtures
# A fuzzer "foo" is tests/fuzz/fuzz_foo.c; tests/fuzz/foo.mk adds it with
#   FUZZERS += foo
#   FZ_SRCS_foo := src/....c
# Its seed corpus, if any, is tests/fuzz/corpus/foo/.

HOSTCC ?= cc
FUZZCC ?= clang
HOST_CFLAGS := -std=c11 -g -O1 -Wall -Wextra -Werror -DAX_HOST -D_DEFAULT_SOURCE -Iinclude \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_LDLIBS := -lcmocka
FUZZ_CFLAGS := -std=c11 -g -O1 -Wall -Wextra -Werror -DAX_HOST -D_DEFAULT_SOURCE -DAX_FUZZ -Iinclude \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 30

UNIT_TESTS :=
FUZZERS :=
include $(sort $(wildcard tests/unit/*.mk))
include $(sort $(wildcard tests/fuzz/*.mk))

UT_BINS := $(foreach t,$(UNIT_TESTS),$(HOST_BUILD)/unit/test_$(t))
FZ_BINS := $(foreach f,$(FUZZERS),$(HOST_BUILD)/fuzz/fuzz_$(f))

define UT_RULE
$(HOST_BUILD)/unit/test_$(1): tests/unit/test_$(1).c $$(UT_SRCS_$(1)) $$(UT_DEPS_$(1)) $$(wildcard include/ax/*.h) | $(HOST_BUILD)/unit
	@echo "  HOSTCC  $$@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -Itests/unit -o $$@ tests/unit/test_$(1).c $$(UT_SRCS_$(1)) $(HOST_LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UT_RULE,$(t))))

define FZ_RULE
$(HOST_BUILD)/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c $$(FZ_SRCS_$(1)) $$(wildcard include/ax/*.h) | $(HOST_BUILD)/fuzz
	@echo "  FUZZCC  $$@"
	$(Q)$(FUZZCC) $(FUZZ_CFLAGS) -o $$@ tests/fuzz/fuzz_$(1).c $$(FZ_SRCS_$(1))
endef
$(foreach f,$(FUZZERS),$(eval $(call FZ_RULE,$(f))))

$(HOST_BUILD)/unit $(HOST_BUILD)/fuzz:
	$(Q)mkdir -p $@

# Runs every unit test; CMOCKA prints per-test lines, we add one summary line.
unit: $(UT_BINS)
	$(Q)scripts/run-unit.sh $(UT_BINS)

fuzz: $(FZ_BINS)
	$(Q)set -e; for f in $(FUZZERS); do \
	  c=tests/fuzz/corpus/$$f; w=$(HOST_BUILD)/fuzz/corpus-$$f; mkdir -p $$w; \
	  echo "  FUZZ    $$f ($(FUZZ_SECONDS)s)"; \
	  $(HOST_BUILD)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
	    -artifact_prefix=$(HOST_BUILD)/fuzz/$$f- $$w $$( [ -d $$c ] && echo $$c ) 2>$(HOST_BUILD)/fuzz/$$f.log \
	    || { tail -40 $(HOST_BUILD)/fuzz/$$f.log; exit 1; }; \
	done; echo "fuzz: all $(words $(FUZZERS)) harnesses ran $(FUZZ_SECONDS)s without a finding"
