# Host tools, built with the host compiler and no sanitizers.
#   build/host/axvisor-config   VM config checker / image lister (tools/axvisor-config.c)

HOSTCC ?= cc
HOST_BUILD ?= build/host
TOOL_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -DAX_HOST -Iinclude

AXVMCONFIG_SRCS := src/axvmconfig/toml.c src/axvmconfig/vmconfig.c

$(HOST_BUILD)/axvisor-config: tools/axvisor-config.c $(AXVMCONFIG_SRCS) \
		include/ax/toml.h include/ax/vmconfig.h include/ax/types.h include/ax/string.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(TOOL_CFLAGS) -o $@ tools/axvisor-config.c $(AXVMCONFIG_SRCS)

.PHONY: tools
tools: $(HOST_BUILD)/axvisor-config
