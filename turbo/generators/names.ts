/**
 * Every name a new service needs, derived from the one the user gives (kebab-case, e.g.
 * `order-book`), so that the templates never derive one themselves and all of them agree.
 */
export interface ServiceNames {
  /** `order-book`: the folder, the package (`@repo/order-book`), compose, Kubernetes, logs. */
  name: string;
  /** `order_book`: the proto package and its folder (buf's PACKAGE_LOWER_SNAKE_CASE). */
  snake: string;
  /** `ORDER_BOOK`: environment variables (`ORDER_BOOK_PORT` for `pnpm start`). */
  constant: string;
  /** `OrderBook`. */
  pascal: string;
  /** `orderBook`. */
  camel: string;
  /** `order_book.v1`. */
  protoPackage: string;
  /** `OrderBookService`: the proto service (buf's SERVICE_SUFFIX). */
  service: string;
  /** `order_book.v1.OrderBookService`: what health, reflection and the logs call it. */
  fullService: string;
  /** `GetOrderBook`: its one RPC, named like stream.v1's GetStream. */
  method: string;
  /** `getOrderBook`: the method as ts-proto names it in the handler interface. */
  methodCamel: string;
  /** The gRPC port. */
  port: number;
  /** The Prometheus `/metrics` port. */
  metricsPort: number;
}

/** kebab-case words, each starting with a letter: valid for npm, compose, DNS and buf alike. */
export const NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$/;
/** Kubernetes names are DNS labels (63), and `<name>-config` and `<name>-client` must fit. */
export const MAX_NAME_LENGTH = 40;

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

export function namesOf(name: string, port: number, metricsPort: number): ServiceNames {
  const words = name.split('-');
  const pascal = words.map(capitalize).join('');
  const snake = words.join('_');
  const service = `${pascal}Service`;
  return {
    name,
    snake,
    constant: snake.toUpperCase(),
    pascal,
    camel: pascal.charAt(0).toLowerCase() + pascal.slice(1),
    protoPackage: `${snake}.v1`,
    service,
    fullService: `${snake}.v1.${service}`,
    method: `Get${pascal}`,
    methodCamel: `get${pascal}`,
    port,
    metricsPort,
  };
}
