# The public headers: the documented contracts a user's project compiles
# against. They are installed under <prefix>/include/protean/ at their source
# paths (include/protean/core/engine/handler.h), and that folder is the
# include directory of every exported target, so a user writes the same
# root-relative includes as this project ("core/engine/handler.h").
#
# The set is closed: a public header includes only public headers and
# standard or third-party ones (the test installed_headers_self_contained
# compiles each alone against the installed tree). Everything else, the
# internal/ folders above all, is an implementation detail that may change
# in any release.
set(PROTEAN_PUBLIC_HEADERS
  # Status / Result, time, and the ports a handler may use through its context
  core/status.h
  core/time.h
  core/mutex.h
  core/thread_annotations.h
  core/broker.h
  core/event_store.h
  core/database.h
  core/cache.h
  # Messages and handlers
  core/config/config_value.h
  core/config/subscription_config.h
  core/engine/message.h
  core/engine/handler_publisher.h
  core/engine/handler.h
  # C++ handlers and alert callbacks by name, and the entry points taking them
  core/engine/dlq_alert_callback.h
  core/engine/handler_catalog.h
  app/server_main.h
  harness/harness_main.h
  # GoogleTest integration (protean::testing)
  testing/test_env.h
  testing/mock_handler.h
  testing/domain_test.h
)
