/**
 * `ClientRequest`: every client -> server message this simulator understands, decoded, as a tagged
 * union on `kind`. Layouts are those of @stoqey/ib 1.6.10's encoder.js at server version 193.
 */
import type { ClientContract, PlacedOrder } from './client-order-types';
import type { TagValue } from './field-cursor';

export interface ScannerSubscriptionRequest {
  readonly numberOfRows: number | undefined;
  readonly instrument: string;
  readonly locationCode: string;
  /** The scan code's name, e.g. "TOP_PERC_GAIN" (the client sends `ScanCode[code]`). */
  readonly scanCode: string;
  readonly abovePrice: number | undefined;
  readonly belowPrice: number | undefined;
  readonly aboveVolume: number | undefined;
  readonly marketCapAbove: number | undefined;
  readonly marketCapBelow: number | undefined;
  readonly moodyRatingAbove: string;
  readonly moodyRatingBelow: string;
  readonly spRatingAbove: string;
  readonly spRatingBelow: string;
  readonly maturityDateAbove: string;
  readonly maturityDateBelow: string;
  readonly couponRateAbove: number | undefined;
  readonly couponRateBelow: number | undefined;
  readonly excludeConvertible: boolean;
  readonly averageOptionVolumeAbove: number | undefined;
  readonly scannerSettingPairs: string;
  readonly stockTypeFilter: string;
}

export interface ExecutionFilterRequest {
  readonly clientId: number | undefined;
  readonly acctCode: string;
  /** "yyyymmdd-hh:mm:ss" (or ""): executions after this time. */
  readonly time: string;
  readonly symbol: string;
  readonly secType: string;
  readonly exchange: string;
  /** "BUY"/"SELL" (or ""). */
  readonly side: string;
}

export type ClientRequest =
  | { readonly kind: 'startApi'; readonly clientId: number; readonly optionalCapabilities: string }
  | {
      readonly kind: 'reqMktData';
      readonly reqId: number;
      readonly contract: ClientContract;
      /** Comma-separated generic tick ids, e.g. "233,236". */
      readonly genericTickList: string;
      readonly snapshot: boolean;
      readonly regulatorySnapshot: boolean;
      readonly mktDataOptions: string;
    }
  | { readonly kind: 'cancelMktData'; readonly reqId: number }
  | { readonly kind: 'placeOrder'; readonly orderId: number; readonly contract: ClientContract; readonly order: PlacedOrder }
  | {
      readonly kind: 'cancelOrder';
      readonly orderId: number;
      readonly manualOrderCancelTime: string;
      readonly extOperator: string;
      readonly manualOrderIndicator: number | undefined;
    }
  | { readonly kind: 'reqOpenOrders' }
  | { readonly kind: 'reqAccountData'; readonly subscribe: boolean; readonly accountCode: string }
  | { readonly kind: 'reqExecutions'; readonly reqId: number; readonly filter: ExecutionFilterRequest }
  | { readonly kind: 'reqIds'; readonly numIds: number }
  | { readonly kind: 'reqContractData'; readonly reqId: number; readonly contract: ClientContract }
  | { readonly kind: 'reqAutoOpenOrders'; readonly autoBind: boolean }
  | { readonly kind: 'reqAllOpenOrders' }
  | { readonly kind: 'reqManagedAccts' }
  | {
      readonly kind: 'reqHistoricalData';
      readonly reqId: number;
      readonly contract: ClientContract;
      /** "yyyymmdd hh:mm:ss[ tz]" or "" for now. */
      readonly endDateTime: string;
      /** e.g. "5 mins". */
      readonly barSizeSetting: string;
      /** e.g. "1 D". */
      readonly durationStr: string;
      readonly useRTH: boolean;
      readonly whatToShow: string;
      /** 1 = "yyyymmdd hh:mm:ss" strings, 2 = epoch seconds. */
      readonly formatDate: number;
      readonly keepUpToDate: boolean;
      readonly chartOptions: readonly TagValue[];
    }
  | { readonly kind: 'cancelHistoricalData'; readonly reqId: number }
  | {
      readonly kind: 'reqScannerSubscription';
      readonly reqId: number;
      readonly subscription: ScannerSubscriptionRequest;
      readonly filterOptions: readonly TagValue[];
      readonly subscriptionOptions: readonly TagValue[];
    }
  | { readonly kind: 'cancelScannerSubscription'; readonly reqId: number }
  | { readonly kind: 'reqScannerParameters' }
  | { readonly kind: 'reqCurrentTime' }
  | { readonly kind: 'reqGlobalCancel'; readonly extOperator: string; readonly manualOrderIndicator: number | undefined }
  | { readonly kind: 'reqMarketDataType'; readonly marketDataType: number }
  | { readonly kind: 'reqPositions' }
  | { readonly kind: 'cancelPositions' }
  | { readonly kind: 'reqAccountSummary'; readonly reqId: number; readonly group: string; readonly tags: readonly string[] }
  | { readonly kind: 'cancelAccountSummary'; readonly reqId: number }
  | { readonly kind: 'reqPnl'; readonly reqId: number; readonly account: string; readonly modelCode: string }
  | { readonly kind: 'cancelPnl'; readonly reqId: number }
  | { readonly kind: 'reqPnlSingle'; readonly reqId: number; readonly account: string; readonly modelCode: string; readonly conId: number }
  | { readonly kind: 'cancelPnlSingle'; readonly reqId: number }
  | { readonly kind: 'reqCompletedOrders'; readonly apiOnly: boolean }
  | { readonly kind: 'unsupported'; readonly messageId: number };

export type ClientRequestKind = ClientRequest['kind'];
