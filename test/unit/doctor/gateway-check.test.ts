import { loadConfig } from '../../../shared/config/load-config';
import { connectionLostCheck, DoctorOrderIds, gatewayCheck } from '../../../scripts/doctor/gateway-check';

describe('gateway check', () => {
  const paper = loadConfig({ env: { MODE: 'PAPER' } });

  it('names the IB Gateway / TWS settings when nothing answers at IB, and how to start the simulator in SIM', () => {
    const result = gatewayCheck(paper, 17, { reachable: false, reason: 'connect ECONNREFUSED 127.0.0.1:4002' });
    expect(result).toMatchObject({ status: 'fail', finding: 'nothing answered at 127.0.0.1:4002 within 5000 ms: connect ECONNREFUSED 127.0.0.1:4002' });
    expect(result.lines!.join('\n')).toMatch(/"Enable ActiveX and Socket Clients" checked[\s\S]*"Socket port" = 4002[\s\S]*"Trusted IPs" contains 127\.0\.0\.1/);
    expect(gatewayCheck(loadConfig({ env: {} }), 17, { reachable: false, reason: 'x' }).action).toContain('npm start');
  });

  it('tells a client id in use (326) apart from a gateway that is down', () => {
    const result = gatewayCheck(paper, 17, { reachable: false, reason: 'client id 17 is already in use (IB 326): another process with the same CLIENT_ID is connected' });
    expect(result.finding).toBe('the gateway at 127.0.0.1:4002 refused client id 17: it is already in use (IB 326)');
    expect(result.action).toContain('CLIENT_ID_DOCTOR');
  });

  it('fails when the link went down during the checks, and says what 1100 means', () => {
    const lost = connectionLostCheck(paper, 17, ['IB connectivity lost (1100): Connectivity between IB and Trader Workstation has been lost.']);
    expect(lost.status).toBe('fail');
    expect(lost.action).toContain('lost its connection to IB (1100)');
    expect(connectionLostCheck(paper, 17, ['gateway closed the connection']).action).toContain('restarted or closed the connection');
  });
});

describe('the doctor\'s order ids', () => {
  it('start at the broker\'s next id and stay above every id reqAllOpenOrders showed', () => {
    const ids = new DoctorOrderIds();
    expect(ids.reserve(17, 5)).toBe(5);
    ids.above(40);
    expect(ids.reserve(17, 5)).toBe(41);
    expect(ids.reserve(17, 5)).toBe(42);
  });
});
