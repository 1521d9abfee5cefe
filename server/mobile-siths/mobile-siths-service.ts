import { recordRefusedLogin } from '../auth/login-limits';
import {
  isMobileAuthOrder,
  mobileAuthOrderStatus,
  scanLoginQr,
  signMobileAuthOrder,
  startMobileAuthOrder,
} from './auth-orders';
import {
  checkEnrolmentToken,
  enrolmentBlocker,
  enrolmentStatus,
  registerMobileDevice,
  startMobileEnrolment,
} from './enrolment';
import { parseQrContent } from './qr-code';

/** What app/ calls of Mobile SITHS login and enrolment; it reaches them through the load context. */
export const mobileSithsService = {
  startMobileAuthOrder,
  isMobileAuthOrder,
  mobileAuthOrderStatus,
  scanLoginQr,
  signMobileAuthOrder,
  enrolmentBlocker,
  startMobileEnrolment,
  enrolmentStatus,
  checkEnrolmentToken,
  registerMobileDevice,
  parseQrContent,
};

export type MobileSithsService = typeof mobileSithsService;

/** The login limits app/ records refusals in (the phone's API refuses before any login is tried). */
export const loginLimitsService = { recordRefusedLogin };

export type LoginLimitsService = typeof loginLimitsService;
