/**
 * The prefix of a service's variables in a stack of several (`pnpm start`, `pnpm dev`):
 * `GREETER` for greeter, `ORDER_BOOK` for order-book, as in GREETER_PORT and ORDER_BOOK_ADDR.
 */
export function envNameOf(service: string): string {
  return service.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}
