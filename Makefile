# slabcraft - every entry point.  `make help` lists them.
#
# Builds go out of tree, to build/<compiler>/<mode>/:
#   debug    -O2 -g, assertions on, Valgrind annotations: tests and memcheck
#   release  -O2 -g -DNDEBUG: demos, benchmarks, the installed static library
#   pic      release with -fPIC: the installed shared library
#   asan     AddressSanitizer + UBSan
#   cov      gcc --coverage
#   ex-NN-x  debug with exercise NN-x's stub compiled in
# BUILDROOT=dir moves the whole tree elsewhere.
# A stage is a directory stages/NN-name/; its library sources are every .c
# there but demo.c; its tests are tests/NN-name/*.c.  Adding a stage needs no
# change here.

CC      ?= cc
MODE    ?= debug
STAGE   ?=
EX      ?=
PREFIX  ?= /usr/local
FUZZ_SECONDS ?= 60
COV_MIN ?= 95
SHELL   := /bin/bash

ccname   := $(notdir $(firstword $(CC)))
BUILDROOT ?= build
export BUILDROOT
BUILD    := $(BUILDROOT)/$(ccname)/$(MODE)
STAGES   := $(notdir $(wildcard stages/[0-9][0-9]-*))
stage_of  = $(filter $(1)-%,$(STAGES))
# STAGE=NN or STAGE=NN-name picks one stage for test, memcheck, asan and
# bench: stage_dir is its directory name, empty when STAGE names no stage.
stage_dir = $(if $(filter 1,$(words $(STAGE))),$(or $(filter $(STAGE),$(STAGES)),$(call stage_of,$(STAGE))))
# First line of those targets' recipes: an unknown STAGE lists the stages.
stage_guard = @$(if $(STAGE),$(if $(stage_dir),:,\
  { echo "make $@: there is no stage '$(STAGE)'.  The stages are:"; \
    printf '  %s\n' $(STAGES); \
    echo "Pick one with STAGE=NN or STAGE=NN-name, or leave STAGE out for all of them."; \
    exit 2; }),:)

WARN     := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# DWARF 4: Valgrind 3.19 cannot read the DWARF 5 that clang 14 writes by default.
BASEFLAGS := -std=c11 $(WARN) -g -gdwarf-4 -MMD -MP
# A stage sees common/ and the stages up to itself, no later ones: its
# sources, demo and tests are compiled with inc_NN-name.  Everything else
# (tools, benchmarks, the suites of every stage together) sees every stage.
INCLUDES := -Icommon $(addprefix -Istages/,$(STAGES))
stage_seen :=
$(foreach s,$(STAGES),$(eval stage_seen += -Istages/$(s))$(eval inc_$(s) := -Icommon $(stage_seen)))

mode_flags_debug   := -O2
mode_flags_release := -O2 -DNDEBUG -DSC_NO_VALGRIND
# pic: release objects compiled with -fPIC, for the shared library only.  A
# mode of its own, so that the static library, the demos and the benchmarks
# keep the plain release code (no GOT indirection to measure).
mode_flags_pic     := $(mode_flags_release) -fPIC
mode_flags_expensive := -O2 -DSC_EXPENSIVE_CHECKS
# swar: the arena map's portable group match (SWAR) instead of SSE2
mode_flags_swar    := -O2 -DAMAP_FORCE_SWAR
mode_flags_asan    := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
mode_flags_cov     := -O0 --coverage -DSC_COVERAGE
ex_name            := $(patsubst ex-%,%,$(filter ex-%,$(MODE)))
ex_define          := $(if $(ex_name),-DSC_EX_$(subst -,_,$(shell echo $(ex_name) | tr a-z A-Z)) -Iexercises)
MODEFLAGS := $(or $(mode_flags_$(MODE)),$(if $(ex_name),-O2 $(ex_define),$(error unknown MODE=$(MODE))))
LDMODE    := $(filter -fsanitize=% --coverage,$(MODEFLAGS))

# Build output: each compile or link prints one short line ("CC   pool.c");
# V=1 prints the whole commands instead, and make -s (as `make run` uses)
# prints neither.  Compiler errors and warnings show in every case.
silent = $(findstring s,$(firstword -$(MAKEFLAGS)))
show   = $(if $(V),,@$(if $(silent),,printf '  %-4s %s\n' '$(1)' '$(2)';))

CFLAGS_ALL = $(BASEFLAGS) $(MODEFLAGS) $(INCLUDES) $(CFLAGS)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)
# each test file defines its suite function without a separate header
TEST_CFLAGS  = -Itests/support -Wno-missing-prototypes $(CHECK_CFLAGS)

# ---- sources --------------------------------------------------------------
COMMON_SRC := $(wildcard common/*.c)
STAGE_SRC  := $(filter-out %/demo.c,$(wildcard $(addsuffix /*.c,$(addprefix stages/,$(STAGES)))))
LIB_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC) $(STAGE_SRC))
LIB        := $(BUILD)/libslabcraft.a
DEMOS      := $(foreach s,$(STAGES),$(BUILD)/stages/$(s)/demo)
SUPPORT_SRC := $(filter-out tests/support/runner_main.c,$(wildcard tests/support/*.c))
SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(SUPPORT_SRC))
RUNNER_OBJ  := $(BUILD)/tests/support/runner_main.o
test_src     = $(wildcard tests/$(1)/*.c)
test_obj     = $(patsubst %.c,$(BUILD)/%.o,$(call test_src,$(1)))
ALL_TEST_SRC := $(foreach s,$(STAGES),$(call test_src,$(s)))
RUNNERS      := $(foreach s,$(STAGES),$(BUILD)/tests/$(s)/run) $(BUILD)/tests/all/run

.PHONY: all lib shlib demos tests benches tools run check test test-expensive test-swar test-vmem memcheck asan docs exercise \
        check-exercises bench bench-quick coverage fuzz fuzz-quick clean deps \
        install install-smoke uninstall help
.DEFAULT_GOAL := all

all: lib demos tools

lib: $(LIB)
demos: $(DEMOS)
tests: $(RUNNERS)

# Objects depend on a stamp of the flags and of the tools installed, so a
# change of either (CFLAGS, or Valgrind's headers or GLib appearing after
# `make deps`) rebuilds them.
FLAGS_TEXT = $(CC) $(CFLAGS_ALL) $(wildcard /usr/include/valgrind/memcheck.h) $(CHECK_CFLAGS) $(DEMO_GLIB)
$(BUILD)/.flags: FORCE
	@mkdir -p $(@D)
	@echo '$(FLAGS_TEXT)' | cmp -s - $@ || echo '$(FLAGS_TEXT)' > $@
.PHONY: FORCE
FORCE:

$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(call show,CC,$<)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(foreach s,$(STAGES),$(eval $(BUILD)/stages/$(s)/%.o: INCLUDES = $(inc_$(s))) \
  $(eval $(BUILD)/tests/$(s)/%.o: INCLUDES = $(inc_$(s))))

$(BUILD)/tests/%.o: tests/%.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(call show,CC,$<)$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(call show,AR,$@)$(AR) rcs $@ $^

# The shared library, from the pic objects only (make shlib switches mode).
VERSION := 0.1.0
SOMAJOR := $(firstword $(subst ., ,$(VERSION)))
SHLIB   := $(BUILD)/libslabcraft.so.$(VERSION)
ifeq ($(MODE),pic)
shlib: $(SHLIB)
else
shlib:
	@+$(MAKE) --no-print-directory MODE=pic shlib
endif

$(SHLIB): $(LIB_OBJ)
	$(call show,LINK,$@)$(CC) -shared -Wl,-soname,libslabcraft.so.$(SOMAJOR) -Wl,--no-undefined \
	  $^ -o $@ -lm

$(BUILD)/stages/%/demo: $(BUILD)/stages/%/demo.o $(LIB)
	$(call show,LINK,$@)$(CC) $(MODEFLAGS) $^ -o $@ $(LDMODE) $(DEMO_LIBS) -lm

# Stage 04's demo times its steps against GLib's GHashTable when pkg-config
# finds GLib (SC_HAVE_GLIB); without GLib it builds and runs all the same.
GLIB_LIBS = $(shell pkg-config --libs glib-2.0 2>/dev/null)
DEMO_GLIB = $(if $(GLIB_LIBS),-DSC_HAVE_GLIB $(shell pkg-config --cflags glib-2.0 2>/dev/null))
$(BUILD)/stages/04-arena-map/demo.o: private CFLAGS_ALL += $(DEMO_GLIB)
$(BUILD)/stages/04-arena-map/demo: private DEMO_LIBS = $(GLIB_LIBS)

# Benchmarks and tools: one program per bench/*.c and tools/*.c file.
BENCH_LIBS = $(shell pkg-config --libs glib-2.0 2>/dev/null) $(shell pkg-config --libs libxxhash 2>/dev/null) -lm -ldl
BENCH_CFLAGS = $(shell pkg-config --cflags glib-2.0 2>/dev/null) -Ibench
BENCHES := $(patsubst bench/%.c,$(BUILD)/bench/%,$(filter-out bench/%_lib.c,$(wildcard bench/*.c)))
BENCH_HELPERS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard bench/*_lib.c))
TOOLS   := $(patsubst tools/%.c,$(BUILD)/tools/%,$(wildcard tools/*.c))
# the generator they share with the tests, tests/support/rng.h (private: the
# flags stamp, a prerequisite, must not see it)
$(BUILD)/bench/%.o $(BUILD)/tools/%.o: private INCLUDES += -Itests/support
benches: $(BENCHES)
tools: $(TOOLS)

$(BUILD)/bench/%.o: bench/%.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(BENCH_CFLAGS) -DSC_BUILD_FLAGS='"$(MODEFLAGS) $(CFLAGS)"' -c $< -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BENCH_HELPERS) $(LIB)
	$(CC) $(MODEFLAGS) $^ -o $@ $(LDMODE) $(BENCH_LIBS)

# A benchmark's C++ competitors: bench/NAME_shim.cc is compiled (CXX -O2,
# never -march) and linked into bench_NAME only when CXX runs and the headers
# it includes are there (abseil and Boost, for bench_amap); without them
# bench_NAME links alone and leaves those competitors out.
CXX      ?= g++
SHIM_OK  := $(and $(shell command -v $(CXX) 2>/dev/null),$(shell pkg-config --exists absl_raw_hash_set 2>/dev/null && echo y),$(wildcard /usr/include/boost/unordered/unordered_flat_map.hpp))
SHIMS    := $(if $(SHIM_OK),$(wildcard bench/*_shim.cc))
$(foreach s,$(SHIMS),$(eval $(BUILD)/bench/bench_$(notdir $(s:_shim.cc=)): $(BUILD)/bench/$(notdir $(s:.cc=.o))))
$(foreach s,$(SHIMS),$(eval $(BUILD)/bench/bench_$(notdir $(s:_shim.cc=)): private BENCH_LIBS += \
  $(shell pkg-config --libs absl_hash absl_raw_hash_set 2>/dev/null) -lstdc++))
$(BUILD)/bench/%_shim.o: bench/%_shim.cc bench/%_shim.h
	@mkdir -p $(@D)
	$(CXX) -std=c++20 -O2 -g -DNDEBUG -Wall -Wextra -Werror -c $< -o $@

$(BUILD)/tools/%: $(BUILD)/tools/%.o $(LIB)
	$(CC) $(MODEFLAGS) $^ -o $@ $(LDMODE) -lm

# A registry names every `Suite *xxx_suite(void)` defined in a stage's tests.
$(BUILD)/tests/%/registry.c: scripts/gen_registry.sh $(ALL_TEST_SRC)
	@mkdir -p $(@D)
	$(call show,GEN,$@)bash scripts/gen_registry.sh $* $(if $(filter all,$*),$(ALL_TEST_SRC),$(call test_src,$*)) > $@

$(BUILD)/tests/%/registry.o: $(BUILD)/tests/%/registry.c
	$(call show,CC,$<)$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) -c $< -o $@

.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/tests/%/run: $$(if $$(filter all,$$*),$$(foreach s,$$(STAGES),$$(call test_obj,$$(s))),$$(call test_obj,$$*)) \
                      $(BUILD)/tests/%/registry.o $(RUNNER_OBJ) $(SUPPORT_OBJ) $(LIB)
	$(call show,LINK,$@)$(CC) $(MODEFLAGS) $^ -o $@ $(LDMODE) $(CHECK_LIBS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- entry points -----------------------------------------------------------
run:
	@echo "make run: building the library, the demos and the tools ($(ccname), release)"
	@+$(MAKE) --no-print-directory $(if $(V),,-s) MODE=release all
	@for s in $(STAGES); do \
	  echo; echo "==================== stage $$s ===================="; \
	  $(BUILDROOT)/$(ccname)/release/stages/$$s/demo || exit 1; done

deps:
	@bash scripts/deps.sh

# The suites need Check; say how to get it instead of failing on check.h.
need_check = @pkg-config --exists check 2>/dev/null || { echo "Check is not installed: run 'make deps' (or 'make check', which runs it)"; exit 1; }

test_runner = $(BUILD)/tests/$(or $(stage_dir),all)/run

# `make test`: every suite but the tool tests, fork mode.
test:
	$(stage_guard)
	$(need_check)
	@+$(MAKE) --no-print-directory MODE=debug $(test_runner)
	CK_EXCLUDE_TAGS="tool" $(test_runner)

# The suites with the expensive assertions on (SC_ASSERT_EXPENSIVE: every
# invariant checker run at the state changes that call it).
test-expensive:
	$(stage_guard)
	$(need_check)
	@+$(MAKE) --no-print-directory MODE=expensive $(subst /$(MODE)/,/expensive/,$(test_runner))
	CK_EXCLUDE_TAGS="tool" $(subst /$(MODE)/,/expensive/,$(test_runner))

# The suites with the arena map's SWAR group match forced, so the portable
# code runs the same workloads as SSE2 (stage 04's answers must not change).
test-swar:
	$(stage_guard)
	$(need_check)
	@+$(MAKE) --no-print-directory MODE=swar $(subst /$(MODE)/,/swar/,$(test_runner))
	CK_EXCLUDE_TAGS="tool" $(subst /$(MODE)/,/swar/,$(test_runner))

# The suites a second time on stage 05's mmap source: the test runner makes
# it the default page source (SC_PAGE_SOURCE=vmem), and every suite must
# pass unchanged.
test-vmem:
	$(stage_guard)
	$(need_check)
	@+$(MAKE) --no-print-directory MODE=debug $(test_runner)
	SC_PAGE_SOURCE=vmem CK_EXCLUDE_TAGS="tool" $(test_runner)

# The suites under memcheck: no fork (so every object is seen), no death tests.
# Valgrind's exit status decides (99: an error or a definite leak); the last
# line takes the number of checks from Check's summary, kept in memcheck.log.
memcheck_log = $(dir $(test_runner))memcheck.log
memcheck:
	$(stage_guard)
	$(need_check)
	@command -v valgrind >/dev/null || { echo "Valgrind is not installed: run 'make deps'"; exit 1; }
	@+$(MAKE) --no-print-directory MODE=debug $(test_runner)
	@echo "memcheck: $(test_runner) under Valgrind (CK_FORK=no, CK_EXCLUDE_TAGS=misuse)"
	@set -o pipefail; CK_FORK=no CK_EXCLUDE_TAGS="misuse" valgrind --quiet --error-exitcode=99 \
	  --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	  $(test_runner) | tee $(memcheck_log) || { rc=$$?; \
	  echo "memcheck: failed with status $$rc (99: Valgrind found an error or a definite leak; 1: a test failed)"; \
	  exit $$rc; }
	@n=$$(sed -n 's/.*Checks: \([0-9]*\),.*/\1/p' $(memcheck_log)); \
	  echo "memcheck: $${n:-?} checks under Valgrind, 0 errors, 0 definite leaks"

asan:
	$(stage_guard)
	$(need_check)
	@+$(MAKE) --no-print-directory MODE=asan $(subst /$(MODE)/,/asan/,$(test_runner))
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(subst /$(MODE)/,/asan/,$(test_runner))

docs:
	@+bash scripts/docs.sh
docs-refresh: ; @+bash scripts/docs.sh refresh

exercise:
	@test -n "$(EX)" || { echo "usage: make exercise EX=NN-name (see exercises/)"; exit 2; }
	@+bash scripts/exercise.sh run "$(EX)" "$(MAKE)" "$(CC)"

check-exercises:
	@+bash scripts/exercise.sh validate-all "" "$(MAKE)" "$(CC)"

coverage:
	@+bash scripts/coverage.sh "$(COV_MIN)"

fuzz:
	@+bash scripts/fuzz.sh "$(FUZZ_SECONDS)"

fuzz-quick:
	@+bash scripts/fuzz.sh 10

bench:
	$(stage_guard)
	@+bash scripts/bench.sh full "$(stage_dir)"

bench-quick:
	$(stage_guard)
	@+bash scripts/bench.sh quick "$(stage_dir)"

# `make check`: the README's test command and what CI runs.
check:
	@bash scripts/deps.sh
	@+$(MAKE) --no-print-directory all tests
	@+$(MAKE) --no-print-directory MODE=release all
	@+$(MAKE) --no-print-directory test
	@+$(MAKE) --no-print-directory test-expensive
	@+$(MAKE) --no-print-directory test-swar STAGE=04
	@+$(MAKE) --no-print-directory test-vmem
	@+$(MAKE) --no-print-directory memcheck
	@+$(MAKE) --no-print-directory asan
	@+$(MAKE) --no-print-directory docs
	@+$(MAKE) --no-print-directory check-exercises
	@+$(MAKE) --no-print-directory coverage
	@+$(MAKE) --no-print-directory fuzz-quick
	@+$(MAKE) --no-print-directory bench-quick
	@+$(MAKE) --no-print-directory install-smoke
	@echo "make check: every gate passed"

# Installed headers, in PREFIX/include/slabcraft/: every stage's public
# header, the common/ headers they include ("page_source.h"), and misuse.h,
# the handler that every checked mode reports to.  install.sh refuses a
# header that includes one not in this list.
PUBLIC_H  = $(filter-out %_internal.h,$(wildcard $(addsuffix /*.h,$(addprefix stages/,$(STAGES)))))
INSTALL_H = $(sort $(PUBLIC_H) common/misuse.h $(filter $(wildcard common/*.h),\
              $(addprefix common/,$(shell sed -n 's/^.include "\(.*\)"/\1/p' $(PUBLIC_H)))))

install:
	@+$(MAKE) --no-print-directory MODE=release lib
	@+$(MAKE) --no-print-directory MODE=pic shlib
	@+bash scripts/install.sh "$(PREFIX)" $(VERSION) $(BUILDROOT)/$(ccname)/release/libslabcraft.a \
	  $(BUILDROOT)/$(ccname)/pic/libslabcraft.so.$(VERSION) $(INSTALL_H)

# Installs into a temporary prefix, builds a program with pkg-config alone
# against the static and the shared library, runs both, and uninstalls.
install-smoke:
	@+bash scripts/install_smoke.sh

uninstall:
	rm -rf "$(DESTDIR)$(PREFIX)/include/slabcraft"
	rm -f "$(DESTDIR)$(PREFIX)"/lib/libslabcraft.{a,so,so.$(SOMAJOR),so.$(VERSION)} \
	  "$(DESTDIR)$(PREFIX)/lib/pkgconfig/slabcraft.pc"

clean:
	rm -rf $(BUILDROOT)

help:
	@echo "make run | check | test [STAGE=NN] | memcheck | asan | docs | exercise EX=NN-name |"; \
	echo "     check-exercises | bench [STAGE=NN] | bench-quick | coverage | fuzz [FUZZ_SECONDS=N] |"; \
	echo "     install [PREFIX=dir] | uninstall [PREFIX=dir] | install-smoke | deps | clean"
