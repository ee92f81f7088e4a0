// Who the demo's station is: its name in every record, and the operator who signs in at it.

export const DEMO_STATION = "demo-station";

/**
 * The station's operator: signs in by device code, approved by the emulator as a phone would. A Privileged
 * Authentication Administrator, as the example organisation gives admins keys (group `admins`), and Entra
 * lets only that role register a method for an administrator (an Authentication Administrator gets 403).
 */
export const DEMO_OPERATOR = "sam.okafor@northwindforge.example";
