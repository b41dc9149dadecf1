#pragma once
// The orders service's handlers. Each reads a JSON payload of an order
// event and records what it did in the domain's default database, keyed by
// the message id (unique per message, so test runs never collide):
//
//   Billing       (stream "orders")  charges an OrderPlaced: an invoice in
//                 table "invoices". A card "declined" fails the attempt
//                 (Retryable: retried, then dead-lettered); a payload
//                 without order_id is Undecodable (dead-lettered at once).
//   Shipping      (stream "orders")  books a shipment for an OrderPlaced in
//                 table "shipments"; other types are ignored.
//   OrderHistory  (event-store category "order")  a projection: counts the
//                 events of each order stream in table "order_history".
//
// RegisterHandlers puts all three in a catalog; domain.toml's
// [handlers.<Name>] tables give their streams and subscription settings.

#include "core/engine/handler_catalog.h"

namespace orders {

protean::HandlerResult Bill(const protean::Message& message, protean::HandlerContext& context);
protean::HandlerResult Ship(const protean::Message& message, protean::HandlerContext& context);
protean::HandlerResult ProjectOrderHistory(const protean::Message& message,
                                           protean::HandlerContext& context);

void RegisterHandlers(protean::HandlerCatalog& catalog);

}  // namespace orders
