import { formatEther } from 'ethers';

/** A gas balance for reading: 4 decimals, cut rather than rounded (the exact value is in data-value). */
export function gasText(wei: bigint): string {
  const [whole, fraction = ''] = formatEther(wei).split('.');
  const kept = fraction.slice(0, 4).replace(/0+$/, '');
  return kept ? `${whole}.${kept}` : whole;
}
