export * from './types';
export { IbBrokerAdapter, type IbAdapterOptions } from './ib/ib-broker-adapter';
export { FakeBroker } from './fake/fake-broker';
export { createBroker } from './create-broker';
export { quoteSnapshot } from './quote-snapshot';
export { BrokerRequestError } from './ib/pending-requests';
