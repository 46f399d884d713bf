/** Small inline icons (no emoji: not every system has an emoji font). */
type P = { size?: number };
const svg = (size: number, children: React.ReactNode) => (
  <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
    {children}
  </svg>
);
export const BellIcon = ({ size = 18 }: P) => svg(size, <><path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" /><path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" /></>);
export const BellOffIcon = ({ size = 18 }: P) => svg(size, <><path d="M8.7 3A6 6 0 0 1 18 8c0 2.7.6 4.6 1.3 6" /><path d="M17 17H3s3-2 3-9c0-.9.2-1.8.6-2.6" /><path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" /><path d="m2 2 20 20" /></>);
export const SpeakerIcon = ({ size = 18 }: P) => svg(size, <><path d="M11 5 6 9H2v6h4l5 4V5z" /><path d="M15.5 8.5a5 5 0 0 1 0 7" /><path d="M19 5a10 10 0 0 1 0 14" /></>);
export const SpeakerOffIcon = ({ size = 18 }: P) => svg(size, <><path d="M11 5 6 9H2v6h4l5 4V5z" /><path d="m22 9-6 6" /><path d="m16 9 6 6" /></>);
export const NotifyIcon = ({ size = 18 }: P) => svg(size, <><rect x="3" y="4" width="18" height="14" rx="2" /><path d="M7 9h10M7 13h6" /></>);
export const ClipIcon = ({ size = 18 }: P) => svg(size, <path d="m21.4 11.1-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5" />);
export const BoltIcon = ({ size = 18 }: P) => svg(size, <path d="M13 2 3 14h9l-1 8 10-12h-9l1-8z" />);
export const SendIcon = ({ size = 18 }: P) => svg(size, <><path d="M22 2 11 13" /><path d="M22 2 15 22l-4-9-9-4 20-7z" /></>);
export const BackIcon = ({ size = 20 }: P) => svg(size, <path d="M15 18l-6-6 6-6" />);
export const ClockIcon = ({ size = 12 }: P) => svg(size, <><circle cx="12" cy="12" r="9" /><path d="M12 7v5l3 2" /></>);
export const CheckIcon = ({ size = 12 }: P) => svg(size, <path d="M4 12l5 5L20 6" />);
export const DoubleCheckIcon = ({ size = 14 }: P) => svg(size, <><path d="M2 12l5 5L18 6" /><path d="M12 16l1 1L24 6" /></>);
export const WarnIcon = ({ size = 12 }: P) => svg(size, <><path d="M12 3 2 21h20L12 3z" /><path d="M12 10v4M12 18h.01" /></>);
export const GearIcon = ({ size = 18 }: P) => svg(size, <><circle cx="12" cy="12" r="3" /><path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" /></>);
