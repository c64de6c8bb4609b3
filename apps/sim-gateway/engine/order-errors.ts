/** IB error codes the simulator sends, with IB's own wording (TWS API "Message Codes"). */
export const IB_ERRORS = {
  DUPLICATE_ORDER_ID: { code: 103, message: 'Duplicate order id' },
  CANNOT_MODIFY_FILLED: { code: 104, message: "Can't modify a filled order." },
  NO_SECURITY_DEFINITION: { code: 200, message: 'No security definition has been found for the request' },
  ORDER_REJECTED: { code: 201, message: 'Order rejected - reason:' },
  ORDER_CANCELLED: { code: 202, message: 'Order Canceled - reason:' },
  /** Informational, not a rejection: the order works (TWS filled in the time in force from the order preset). */
  TIF_FROM_PRESET: { code: 10349, message: 'Order TIF was set to DAY based on order preset.' },
  PRICE_OFF_TICK: { code: 110, message: 'The price does not conform to the minimum price variation for this contract.' },
  VALIDATION: { code: 321, message: 'Error validating request:' },
  UNSUPPORTED_ORDER_TYPE: { code: 387, message: 'Unsupported order type for this exchange and security type.' },
  ZERO_SIZE: { code: 434, message: 'The order size cannot be zero.' },
  CANCEL_NOT_FOUND: { code: 10147, message: 'OrderId {id} that needs to be cancelled is not found.' },
  CLIENT_ID_IN_USE: { code: 326, message: 'Unable to connect as the client id is already in use. Retry with a unique client id.' },
  MAX_RATE: { code: 100, message: 'Max rate of messages per second has been exceeded.' },
  HISTORICAL_PACING: { code: 162, message: 'Historical Market Data Service error message:Historical data request pacing violation' },
  CONNECTIVITY_LOST: { code: 1100, message: 'Connectivity between IB and Trader Workstation has been lost.' },
  CONNECTIVITY_RESTORED_DATA_LOST: { code: 1101, message: 'Connectivity between IB and Trader Workstation has been restored - data lost.' },
  CONNECTIVITY_RESTORED: { code: 1102, message: 'Connectivity between IB and Trader Workstation has been restored - data maintained.' },
  FARM_BROKEN: { code: 2103, message: 'Market data farm connection is broken:usfarm' },
  FARM_OK: { code: 2104, message: 'Market data farm connection is OK:usfarm' },
  HMDS_OK: { code: 2106, message: 'HMDS data farm connection is OK:ushmds' },
  SEC_DEF_OK: { code: 2158, message: 'Sec-def data farm connection is OK:secdefnj' },
  FARM_RESTORED: { code: 2105, message: 'HMDS data farm connection is broken:ushmds' },
  NOT_CONNECTED: { code: 504, message: 'Not connected' },
} as const;

export interface OrderRejection {
  code: number;
  message: string;
}

export function rejection(error: { code: number; message: string }, detail = ''): OrderRejection {
  return { code: error.code, message: detail ? `${error.message} ${detail}` : error.message };
}
