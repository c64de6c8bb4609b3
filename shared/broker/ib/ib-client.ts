/**
 * The parts of `@stoqey/ib` the adapter uses, imported from their own files: the package index also loads
 * IBApiNext and rxjs, which cost every process about 160 ms of start-up and 6 MB we do not use (start-up
 * time is protection time for a restarted exit manager).
 */
export { IBApi } from '@stoqey/ib/dist/api/api';
export { EventName } from '@stoqey/ib/dist/api/data/enum/event-name';
export { SecType } from '@stoqey/ib/dist/api/data/enum/sec-type';
export { OrderAction } from '@stoqey/ib/dist/api/order/enum/order-action';
export { OrderType } from '@stoqey/ib/dist/api/order/enum/orderType';
export { ScanCode } from '@stoqey/ib/dist/api/market-scanner/market-scanner';
export type { CommissionReport, Contract, ContractDetails, Execution, Order, OrderState } from '@stoqey/ib';
